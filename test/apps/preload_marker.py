# An import script that takes a while (as a Django or numpy import would) and leaves
# a marker object behind for the application to find in the same interpreter.
import os
import sys
import time
import types

time.sleep(float(os.environ.get('TSWSGI_TEST_PRELOAD_SECONDS', '2')))
marker = types.ModuleType('tswsgi_test_marker')
marker.value = ['preloaded']
marker.created_id = id(marker.value)
sys.modules['tswsgi_test_marker'] = marker
