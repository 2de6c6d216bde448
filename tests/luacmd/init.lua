x = "set by the init file"
