import asyncio
import json
import os
import pickle
import subprocess

import yaml


def load(text, blob, command):
    # ruleid: unsafe-calls
    eval(text)
    # ruleid: unsafe-calls
    exec(text)
    # ruleid: unsafe-calls
    pickle.loads(blob)
    # ruleid: unsafe-calls
    yaml.load(text)
    # ruleid: unsafe-calls
    yaml.load(text, Loader=yaml.Loader)
    # ruleid: unsafe-calls
    subprocess.run(command, shell=True, check=True)
    # ruleid: unsafe-calls
    os.system(command)
    # ruleid: unsafe-calls
    asyncio.create_subprocess_shell(command)

    # ok: unsafe-calls
    json.loads(text)
    # ok: unsafe-calls
    yaml.safe_load(text)
    # ok: unsafe-calls
    yaml.load(text, Loader=yaml.SafeLoader)
    # ok: unsafe-calls
    subprocess.run(["git", "status"], check=True)
    # ok: unsafe-calls
    subprocess.run(command, shell=False, check=True)
