# A real Flask application (Debian's python3-flask), served by tswsgi in the tests.
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route('/')
def index():
    return 'Hello from Flask'


@app.route('/json', methods=['GET', 'POST'])
def echo_json():
    return jsonify(method=request.method, path=request.path, script_root=request.script_root,
                   args=request.args.to_dict(), body=request.get_json(silent=True))


@app.route('/users/<name>')
def user(name):
    return jsonify(name=name, url=request.url)


application = app
