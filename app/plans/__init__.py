"""Annual inspection plans (年度执法检查计划), their coverage (全覆盖) and random draws (双随机、一公开)."""
