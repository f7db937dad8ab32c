X = 1  # on disk next to main.py but imported by nothing: Kybra does not freeze it
