print("stunmeshd")
