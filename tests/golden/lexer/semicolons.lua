-- empty statements and semicolons (5.2 allows ';' as a statement)
;;; local a = 1; ; local b = 2;;
print(a + b);
do ; end
if true then ; end
print("ok", a, b)
