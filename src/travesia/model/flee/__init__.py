"""Flee's scenarios with Flee's rules on travesia's array engine (docs/flee.md).

Entry points: run_flee_folder (run a Flee folder to the end and write its results),
score_run_dir (ARD of a run folder's out.csv), is_flee_folder (detect the layout).
"""

from travesia.model.flee.reader import is_flee_folder
from travesia.model.flee.run import run_flee_folder, score_run_dir

__all__ = ["is_flee_folder", "run_flee_folder", "score_run_dir"]
