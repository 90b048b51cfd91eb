"""A JSON configuration file for the local stand-ins (functions_host.py,
eventgrid_topic.py): its object, or one clear line naming the file and the
fix, never a traceback (Core Tools refuses a bad local.settings.json the
same way)."""

import json


def load_json_object(path, tool, what, hint=""):
    try:
        with open(path) as f:
            value = json.load(f)
    except OSError as e:
        raise SystemExit(f"{tool}: cannot read {what} {path}: "
                         f"{e.strerror}{hint}")
    except ValueError as e:
        raise SystemExit(f"{tool}: {what} {path} is not valid JSON "
                         f"({e}){hint}")
    if not isinstance(value, dict):
        raise SystemExit(f"{tool}: {what} {path} must hold a JSON "
                         f"object{hint}")
    return value
