"""A loopback stand-in for the published weights' download, shared by tests/test_hub.py and tests/test_readme.py."""
import functools, http.server, threading
import torch

class Served:
    "A loopback HTTP server of `folder` in a thread; `gets` counts the GET requests it answered"
    def __init__(self, folder):
        self.gets, served = 0, self
        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self): served.gets += 1; super().do_GET()
            def log_message(self, *args): pass
        self.srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Handler, directory=str(folder)))
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.url = f'http://127.0.0.1:{self.srv.server_port}'

    def stop(self): self.srv.shutdown(); self.srv.server_close()

def published_layout(model, path):
    "Save `model` as the original's weights-only file: `{'weights': state dict}`, floating tensors in float16"
    torch.save({'weights': {k: v.half() if v.is_floating_point() else v for k, v in model.state_dict().items()}}, path)
    return path
