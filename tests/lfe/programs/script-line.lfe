#!/usr/bin/env lfe
(io:format "after the script line~n")
(car 1)
