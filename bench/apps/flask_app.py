# Benchmark app: a Flask route answering jsonify() of a small dict (Debian's python3-flask).
from flask import Flask, jsonify

application = Flask(__name__)


@application.route('/')
def index():
    return jsonify(message='Hello, world!', framework='flask', items=[1, 2, 3])
