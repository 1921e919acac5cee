"""One widget per module; each is fed plain values (no engine access inside)."""
