"""The results store, bands, plots and scores."""
