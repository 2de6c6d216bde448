;; Random forms (a fixed-seed generator) for the pretty printer's line breaking.
#M(key-two '#B(46 21 202 231 80) d #M() c #"" key-one error)
a
#"bin"
(#('-2.0 (#"a longer binary value" x... |quoted atom| 609 #"" #"" 10000000000.0) #M() (#"" #"bin" 44065 94181) 96021 true #("" 1e-07 88669 72816) (defmodule "tab\there" true 30448 #B(102 42 33 128 95 121 195 148 61) false some-long-atom-name)) #M() |quoted atom| #("a longer string value here" #M(d 1e-07 2 16042 a #"a longer binary value") #("" 44971 10000000000.0 #B(19 14 123 195 74 44) 17183 |quoted atom|) (defrecord #"a longer binary value") x x...) (|a b| #M(a 79617 2 24345 e a) '#B(146 67 82 196 190 55 20 135 145 152 149 125 50 95 201 174 128 57) (|quoted atom| #B(247 138 73 132 206 254 46 67) 55927 #B(165 199 98 137 229 15 134) "" false) another-fairly-long-name (if 89128) #M()) #M(1 another-fairly-long-name e ("λx" "hello" undefined) f true key-one 0.5 x-long-key-name #B(130 233 190 57 29 13 243 117 51 15 82 32 82 178 65 47 176 61 190 190 218 123)) #M(2 #M() e (|a b| x ok 69640 "" true 123456.789 #B(233 215 143))))
0.5
#M(c (let*) key-two y b #"a longer binary value" 1 "λx")
@at
a
#B(96 19 144 100 174 74 8 67 110 99 67 67 5 60 168 156 92 203 96 80 29 79 97 136 153 67 19)
y
#M(1 #M(x-long-key-name 1e-07 d #M(f (__struct__ '#M() #(#() (#"bin" b #B(32 201 114 96 69 83 108 67 162 63 37 242 167 248 161 123 28 250 29 90 64 18 222 224 119 177 229 208) -2.0 y 10000000000.0) #B(104 44 117 53 193 177 36 188 100 108 195 97 195 11 34 209 153 227 121) another-fairly-long-name (b #B(108 166 234 133 106 107 111) another-fairly-long-name ok false) @at #(76362 #"bin" b "a longer string value here" @at #B(193 194 6 151 110 85 214 237 115 74 20 27 142 15 69 225 153 215 217 154 194 83 57 126 245 78 94) undefined y) #B(185 135 108 162 144 62 58 11 35 147 125 96 29 37 225 21 75 54 229 83 230 237 51 37 137 213)) #((call 10456 12424 ok -2.0 #"") "λx" (#B(176 229 254 87 234 115 133 208 231 73 160 97 150 52 103 6 86 61) #"bin" "tab\there" some-long-atom-name #"bin") #(@at true 123456.789 91534 45960 @at #"a longer binary value")) (do #M(#(t) #"" 1 37021 key-one b d |quoted atom| b #B(137)) (false #"bin" 83210 undefined 9588 1e-07 #"" |quoted atom|) '#"a longer binary value" (list 59956 #""))) b #(#"bin" #(#() (: #B(31 114 253 191 80 96 56 91 217 13 36 193 78 124 15 114 153 76)) #(@at "hello" ok #"" @at 52077 true) #"bin" error (do)) ((try) -2.0 #(#"" y @at #"bin" true) #"") #M(b #M(e ok key-one |quoted atom| key-two "" "s" false 1 false) c '-2.0) (progn 0.5 (y 48827 #"a longer binary value" x #B(226 34 1 4 93 135) -2.0 12188 |quoted atom|) (some-long-atom-name @at |quoted atom| @at x... "a longer string value here" #"bin") #M(x-long-key-name b 2 0.5 1 true) (case x error 22254 #B(118 32 124 173 206 58 187 146 113 184 167) false) 93669) (let ()) 4990) x-long-key-name #("hello" #(#B(155) 'error) "tab\there")) "s" 53019) x-long-key-name #M(c x...) d 28940 c true key-one (backquote))
#(((lambda #B(255 37 153 41 215 200 190 186 145 25) |quoted atom| 10000000000.0 ok @at 12613 10000000000.0) #(@at) (tuple) '"hello" x undefined another-fairly-long-name #(62600 some-long-atom-name true 52638 error 11607 #"" another-fairly-long-name)) #M(e (catch "" some-long-atom-name 32358 76592 x) "s" #B(230 159)) ((#B(6 158 210 168 39 141 85 110 20 190 145 171 227 209 234 174 45 247 55 217 239 107 13 136 23) x)) error #('false))
b
((__struct__ #"" #"bin" @at 94183 undefined #B(180 189 57 13 217 246 52 138 145 100 38 181) b) x #("λx" x...) (: "λx" error #"a longer binary value" #"a longer binary value" #B(209 253 94 39 11 202 83 129 55 173 125 141 41 155 71 167 71 177 227 230 46 235 25 120 39 212 226 216 136) 10000000000.0 4889 23430))
#""
#B(12 243 100)
#(#(#("tab\there" some-long-atom-name some-long-atom-name error undefined 123456.789 some-long-atom-name) (123456.789 true error) (#"" #B(26 49 51 5 222 21 200 119 116 233 103) 54470 10000000000.0 "tab\there" #B(53 17 38 207 175 92 190 235 243 240 69 201 182 246 237 80) 1e-07 error) ("hello") (flet @at) #("a longer string value here" #"a longer binary value" #"a longer binary value" another-fairly-long-name #"" 89254 x... x) #M(2 0.5 "s" x b 95062)) #M(d #(#"a longer binary value" #"" y #B(119 68 115) some-long-atom-name #B(127 138 35 123 32 234 153 78 216 52 145 165 193 175 50 30 210 147 100 90 129 12 126 215) #"" #"a longer binary value") f (#B(161 130 84 128 161 120 227 8 147 0 44 68 10 186 112) undefined 78794 #"a longer binary value" error 4855) 2 (58901) e #M(c #B(35 104 32 94 99 29 122 69 166 222 217 44 120 116 88 132 114 22 73 226 229 195 8 28 109 110 13 5 169) 1 ok a 0.5 f b key-two error)) x... #M(a 94091 d (progn ok @at #B(93 159 95 8 99 75 10 238 6 104 24 143 109 188 192 11)) b (progn "λx" y #"a longer binary value" y #B(196 164 251 234 40 158 88 121 20 55 24 132 39 230 182 48 0 219 185 34 152 191 69 164 235 60 146) false another-fairly-long-name "λx") #(t) #()) '-2.0 #"a longer binary value")
ok
true
''""
@at
99849
undefined
#M()
true
some-long-atom-name
(a error (25470) '#B(43 181 181 160 75 243 6 171 113 138 177 113 161 101 133 26 233 84 24) (@at "λx" 17759 #B(88 114 235 85 225 73 24 10 154 212 220 65 65 221 148 86 234 88 17 219) 38892 undefined #"" #B(22 45 189 2 242 83 228 87 28 96 169) . undefined) @at (lambda) '#"a longer binary value")
#M(b #B(113 44 100 213 41 210 116 192 224 174 182 111 112 167 80 56) e ("" "hello" x #"bin" a))
1e-07
(#(33754 "tab\there" x... #"bin" #"a longer binary value" another-fairly-long-name) ("hello" 0.5 |quoted atom| 13811 #B(91 123 210 91 16 156 253 234 108 149 239 217 122 140 156 101 196 149 1 12 251 214 233) b) (12568 123456.789 |quoted atom| |quoted atom| #"bin" . x))
123456.789
(#(ok) #(y undefined) some-long-atom-name (case #"a longer binary value" #B(59 44 221 37 78 34 45 162 87 156 120 147 197 74 108 244 211 139 124 27 125 52 81 101) #"" @at x #"bin") (cond #B(153 172 85 213 34 8 248 117 133 8 73 253 213) undefined b #B(77 5 219 55 117) a))
true
undefined
#B(115 241 156 18 16 66 106 229 130 191 113 137)
#"a longer binary value"
(comma (: |quoted atom| #B(86 171 185 144 22 159 55 79 235 190 213 165 252 223) b))
x...
#M(key-two #"a longer binary value" c (call x #B(76 163 243 218 150 159) error some-long-atom-name 3.25) 1 (bar-baz #"bin" 0.5 3.25))
#B(182 141 48 174 63 173 152 116 148 118 174 239 115 58 55 15 254 88 151 43 62 108 5 204 91 151 56 43)
(quote)
y
54766
#M(#(t) y "s" #"a longer binary value")
undefined
(funcall undefined)
"λx"
(foo #M(c #(3067 b undefined)))
'(funcall false #M() (#B(221 143 240 48 70 19 190 0 111 145 153 51 140 243 75 33 252 54 81 189 144 194 246 58 40 186 19 237 141)) "a longer string value here" #M(#(t) #"a longer binary value" e a d 81924) #("a longer string value here" y ok y) (receive |quoted atom| #"") 'true)
25789
()
ok
'#M(key-two |quoted atom|)
#(undefined () (: "tab\there" 52980 #"bin" y -2.0 x @at 89698) (defmacro some-long-atom-name 1e-07 -2.0 a #"" some-long-atom-name x) #("hello" true) #"a longer binary value")
#(#M() #(y @at) |quoted atom| (flet #B(66 174 73 206 205 169 244 105 155 89 90 113 199 152 226 175 140 49 132 201 148 202 94) y) (: 65076 "hello" |quoted atom| x... @at false false y) y)
#B(46 102 121 9 174 135 60 219)
|quoted atom|
(defmacro #(error "a longer string value here") true '3.25 '"hello" (y b "λx" 35191 95673 #B(111 95 244 75 206 87 104 123 73 238 52 234 86 136 204 204)) (123456.789 undefined #"bin" 51920 64778 "" false 91413) #(#B(86 14 70 81 231 39 176 2 214 152 29) #"bin" #"" some-long-atom-name "λx"))
(comma #"bin" (defmodule undefined error #B(216 79 215) @at 94678 x...) (do b #B(92 23 253 166 179 63 72 213 231 92 10 66 22 48 125 247 114 239 212 94 43 73 91 54 237 118 117 102 219) y undefined "λx") (10000000000.0 #"bin" true true #"" #B(80 61 144 39 118 108 32) b) ("hello" "tab\there") -2.0 "a longer string value here" #"")
()
3512
false
'@at
undefined
#M(2 "a longer string value here" 1 undefined d '(foo #M() #M(1 true a #"a longer binary value" key-one b 2 "λx") b (funcall b #"a longer binary value" |quoted atom| x ok #B(151 31 225 199 77 42 61 67 15 102 63 45 111 103 24 6 35 186 77 137 55 138 170 216 3 60)) (error "hello" 85068) '23168 #("a longer string value here" #"" undefined)) e undefined)
(1e-07 12573 #(#((|a b|)) '#M(x-long-key-name 19467 #(t) (progn false |quoted atom| undefined))) 'some-long-atom-name #"a longer binary value" 20418 #B(212 132 44 120 123 220 2 90 39))
#M(1 #() key-one #(#(#B(153 150 158 104 140 168 95 10 49 49) error some-long-atom-name #"bin" #"bin" #"bin" @at undefined) (: undefined #B(253 16 85 247 106 75 207 234 65 8 182 3) #"" 98854 #B(31 131 27 190 249 143 63 34 115 100 105 116) @at -2.0 1e-07) '"" (comma-at #"bin" "tab\there" #B(222 139 8 122 53)) #M("s" #B(90 29 242 41 251 52 101 21 174 244 128 62 49 43 54 21 40 84 202 254 129 252 0 58) f #B(164 212 93 91 123 242 223 42 58 91 121 233) key-two error b #"a longer binary value")) f (do) #(t) '#(ok 12303 false) 2 "a longer string value here")
3.25
0.5
'#M()
'"a longer string value here"
""
123456.789
(#M(a #(false x...) x-long-key-name #M(f #"a longer binary value" a 44939 e 50712 b undefined "s" -2.0) "s" #"bin"))
-2.0
(defmacro '77590 #(#B(159 197 207 5 54 18 24 94 143 71 234 230 104 231 156 122 43 4 33 75 153 16) 2568 #B(91 167 194 223 215 76 209 152 14 162 65 42 122 127 106 78 157 231 184 35 234 95) undefined y) 'b (defrecord 10000000000.0 123456.789 a #"bin" 73558) #M(f b key-two some-long-atom-name 2 #"a longer binary value" d #"a longer binary value") (foo undefined #"bin" "a longer string value here" 2509) #(#"bin" false) x)
(progn #M(b (x... #"a longer binary value" y error undefined "" 63284 x...) f #(#"bin" 123456.789 #"" ok x y "λx") #(t) #(#B(53 40 177 170 234 170 159 223 174 140 159 162 152 160 115 101) some-long-atom-name b)) "hello" #M(#(t) (defun b #"" 1e-07) c #(b some-long-atom-name false #"" #"a longer binary value" "λx" undefined y)))
(lc (x...) #"" (('#M(key-two (tuple error true y true) "s" #() f (match-lambda b)) #M()) true "") #(#"a longer binary value" ((#(#M("s" error) (defmacro #B(30 231 187 168 127 67 254 146 101 36 226 47 113 178 35 97 248 32 59 225 141 38 141 18) a y) (lambda a another-fairly-long-name undefined #B(148 87 10) #B(116 146 93 34 117 114 116 6 208 249 132 113 10 88 8 70 77 66 179 121 47) #B(110 4 193 177 155 53 78 248 20 121 22 220 6 203 122 23 74 15 88 194 98 168 8 5 214 205 7 43) 123456.789 false)) (call #()) true) @at #M(a #B(169 5 22 0 43 190 186 118 145 126 42 118 106 55 104 251) f #"bin") (#((call) #(123456.789 "" a)))) "hello" #M()))
#"bin"
undefined
|quoted atom|
(#((34690 #"" 11407 x @at another-fairly-long-name |quoted atom| 8037) (quote 18141) (do 1e-07 ok) #("a longer string value here" some-long-atom-name 46186 true b) #"a longer binary value" (foo) (bar-baz) #(#"" false)) #() (let* 10000000000.0 (1e-07 true 78426 #"" #"bin" another-fairly-long-name #"") (if x b y error) #M(2 error 1 0.5 c 123456.789 f a)) (false ("hello" false 36336 42893) #"" (4385 "tab\there" 3.25 3.25 @at a x |quoted atom|) #("λx" #B(246 160 212 81 156 192 203 60 168 134 103 110 177) "a longer string value here" |quoted atom| #"bin" 96456 x...) '"hello") #M(key-two |quoted atom| "s" #M(x-long-key-name 123456.789 key-one #"" key-two #"bin" 2 #"a longer binary value" c 12933) #(t) ok f (lc 123456.789 y |quoted atom| b) b '"λx") #((defmodule) '|quoted atom| #(#"" 20236) |quoted atom|))
#M(key-two ok c ('#M(f #(3.25 a 54935 undefined |quoted atom| true "tab\there")) #"" . x))
b
#()
2935
'0.5
y
#B(164 232 0 188 153 124 130 110 102 108 248 31)
#M(key-two #M("s" #M()) key-one #(#(another-fairly-long-name 70124 x... some-long-atom-name #"" #"" 0.5) #(a error 55388 3.25 "" undefined 34949 a) #B(1 211 208 221 164 202 83 107 27 241 191 197 203 104 149 198 40 173 255) 1e-07 #M(c false "s" x e true 1 #"bin") @at) b (false #M(e |quoted atom| 1 false b 123456.789 "s" #"bin") (#"a longer binary value" 55210 false error error) #(0.5 #B(35 56 195 156 194 104 44 167 180 34 170)) 91609 #B(143 42 61 75 6 146 60 24 226 195) #M(2 "" "s" true b "hello") #(#B(114 78) |quoted atom| another-fairly-long-name)) 1 (comma #(0.5 ok 1e-07)) "s" #(#M() (#"" "" -2.0 @at "" error #"bin") #M(1 error #(t) some-long-atom-name key-one #"bin" e #"bin" 2 undefined)))
#"a longer binary value"
(comma-at)
(#M("s" #"a longer binary value" x-long-key-name 5431 key-two #"" e "a longer string value here") ("a longer string value here" x... "" x... 0.5 #"bin" ok 55718) #(some-long-atom-name "λx" 10000000000.0) some-long-atom-name #M("s" "λx" c x... 2 a b 34196 1 b) #M(x-long-key-name 0.5 2 error #(t) #"" b false c x) #B(239 59 15 247 163 56 220 156 238 40 243 167 57 148 47 24 65 205 221 118 201 217 185 104 166 187 47 55 231))
(receive ok #M() "hello")
x
ok
#M(a #"bin" e error key-one (cond #(#"a longer binary value" 123456.789 a "a longer string value here") #(a false 1e-07 #B(146 78 214 122 145 191 228 14 249 19 94 78)) #() #(@at false #"" x 3.25) #M(#(t) 1e-07 e y a "hello") 10000000000.0 (defmodule false b 3.25 @at)) x-long-key-name '(backquote some-long-atom-name "λx" x another-fairly-long-name 45892))
#"bin"
#(#((lc) 85502 #"bin") (#B(159 217 155 199 33 177 220 251 173 154 155) "a longer string value here" #"" (list) (ok 72532 #B(181 76 221 186 50 251 128 246 218 88 66 196 75 106 118 185 230 133 16 177 98) some-long-atom-name "a longer string value here" undefined #B(238 43 176 177 13 108 221 69 90 112 179 188))) '(123456.789 some-long-atom-name 16712 b ok) (y b (do 90370 #"" x... another-fairly-long-name) #(1e-07) #B(254 204 189 255 243 83) #(error b ok 0.5 0.5 another-fairly-long-name x)) #"bin" #M())
(defmodule a (:))
()
'(cond "" (__struct__ (catch 0.5 error ok "tab\there" 0.5 1e-07 false false) #(#"bin" "tab\there")) '(defmacro #B(212 82 191 165) #B(53 215 218 179 61 10 42 95 34 106 55 124 44 146 168 210 90 40 132 138 51 220 158 54 33 90 170) -2.0 71143 some-long-atom-name) 'undefined (let* #("" error x) "λx" "" (57061 "tab\there")))
