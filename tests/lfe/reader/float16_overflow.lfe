#B((65520.0 float (size 16))) #B((1.0e300 float (size 16))) #B((-1.0e300 float (size 16))) #B((1.0e300 float (size 32))) #B((3.4028235677973366e38 float (size 32))) #B((1.0e-300 float (size 32)))
