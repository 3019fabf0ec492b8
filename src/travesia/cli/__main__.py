from travesia.cli.main import main

main()
