"""Publication (一公开): what the law says is published about random draws and inspections — nothing else."""
