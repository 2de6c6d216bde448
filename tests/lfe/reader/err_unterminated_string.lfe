(a "abc
def