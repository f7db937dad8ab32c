from kybra import StableBTreeMap, init, query, void

settings = StableBTreeMap[str, str](memory_id=0, max_key_size=16, max_value_size=200)


@init
def init_(greeting: str) -> void:
    settings.insert("greeting", greeting)


@query
def greet(name: str) -> str:
    return f"{settings.get('greeting') or ''}, {name}!"
