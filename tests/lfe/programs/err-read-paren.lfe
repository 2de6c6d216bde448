(io:format "never runs~n")
)
