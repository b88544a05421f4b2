"""The shop's Redis: the store, key names, the Lua scripts (lua/), durability checks."""
