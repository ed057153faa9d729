import os


def model():
    for i in range(20000):
        print(f"line {i}")
    os.write(1, b"from C\n")
