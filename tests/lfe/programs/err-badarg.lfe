(element 1 (quote not-a-tuple))
