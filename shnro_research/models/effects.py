"""placeholder"""
def add_group_mean(*a, **k): raise NotImplementedError
def center(*a, **k): raise NotImplementedError
def ols_school_effects(*a, **k): raise NotImplementedError
def school_effects(*a, **k): raise NotImplementedError
