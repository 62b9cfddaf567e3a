"""Records filed by processes for inspection (归档备查): e.g. every discount or allowance granted."""
