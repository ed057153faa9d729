def model():
    while True:
        pass
