"""Many runs for any purpose: run tasks and executors, draws from priors and posteriors, one
run written."""
