-- helper module pkg.sub: dots in module names become directory separators
return {id = "pkg.sub", args = {...}}
