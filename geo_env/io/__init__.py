"""L2 io: reading planners' files into a District, and writing outputs atomically."""
