# An import script that fails: the process must log it and serve anyway.
raise RuntimeError('this import script fails on purpose')
