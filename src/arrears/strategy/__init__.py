"""Strategy: segments, treatments, champion/challenger, allocation, scores and the nightly run."""
