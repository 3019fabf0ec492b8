"""The dashboard: a FastAPI app over run folders, the ensemble store and what-ifs, and its page."""
