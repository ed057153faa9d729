def guide():
    pass
