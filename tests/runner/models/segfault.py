import ctypes


def model():
    ctypes.string_at(0)
