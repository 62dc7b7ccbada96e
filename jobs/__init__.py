"""What the scheduler process runs, and nothing else."""
