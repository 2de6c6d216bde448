(a
b
  (c
   d