; symbols and how they print
foo Foo foo-bar foo_bar foo:bar mod:fun/2 + - * / a.b
|foo bar| |1| |-5| |1.5| |.| || |a\|b| |a\\b| |tab	x| |new
line|
1+ -a +a a'b a,b a#b a|b|c a`b
café ÿ λx
#Efoo #eBar.baz
true false nil |quote|
|a"b| |(| |)| |;x| |#x| |'x| |`x| |,x|
1.0e400 |1.0e10| 1.5e |1e5| 1e5
