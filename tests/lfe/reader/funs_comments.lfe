#'foo/1 #'mod:fun/2 #'=:=/2 #'=:=/3 #'a:b:c/0 #'+/2 #'/3 #'foo/007 #'m:/1
; a line comment
a ; trailing comment
#| block
   comment |# b #||# c #| with | and # inside |#
d ;; end
