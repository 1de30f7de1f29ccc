"""Price sources: live (MOEX ISS, Bank of Russia, Yahoo), local files, and the cache."""
