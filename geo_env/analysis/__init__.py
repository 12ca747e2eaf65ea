"""L3 analysis: the planning questions, answered on a District."""
