"""Kybra canister source read statically, as kybra_generate reads it: the source bundle
(`bundle`), Candid signatures (`analyze`), `.did` generation (`did`) and the lint (`lint`)."""
