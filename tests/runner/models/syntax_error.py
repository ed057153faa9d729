import minipyro as pyro

def model(:
    pass
