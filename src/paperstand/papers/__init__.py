"""Papers: the model, and the services that store and list them."""
