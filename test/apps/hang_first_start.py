# Hangs the first time it runs (as a stuck import would), then loads normally:
# startup-timeout must kill the stuck process and its replacement must serve.
import os
import time

marker = os.environ['TSWSGI_TEST_HANG_MARKER']
if not os.path.exists(marker):
    open(marker, 'w').close()
    time.sleep(60)
