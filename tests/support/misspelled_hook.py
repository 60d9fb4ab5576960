from runner import hookimpl


@hookimpl
def register_model(register):  # should be register_models
    pass
