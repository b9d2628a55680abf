"""The Python framing against the vectors shared with the Node side."""

import json
import os
import unittest

from tswsgi_worker import framing

VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       '..', '..', 'test', 'vectors', 'framing.json')


def load_vectors():
    with open(VECTORS, encoding='utf-8') as file:
        return json.load(file)


class FramingVectors(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.vectors = load_vectors()

    def test_frames_encode(self):
        for vector in self.vectors['frames']:
            with self.subTest(vector['name']):
                wire = framing.encode_frame(vector['type'], bytes.fromhex(vector['payloadHex']))
                self.assertEqual(wire.hex(), vector['wireHex'])

    def test_frames_decode(self):
        for vector in self.vectors['frames']:
            with self.subTest(vector['name']):
                frames = framing.FrameDecoder().feed(bytes.fromhex(vector['wireHex']))
                self.assertEqual(frames, [(vector['type'], bytes.fromhex(vector['payloadHex']))])

    def test_streams_decode_in_pieces(self):
        for vector in self.vectors['streams']:
            with self.subTest(vector['name']):
                wire = bytes.fromhex(vector['wireHex'])
                bounds = [0] + vector['splits'] + [len(wire)]
                decoder = framing.FrameDecoder()
                frames = []
                for start, end in zip(bounds, bounds[1:]):
                    frames.extend(decoder.feed(wire[start:end]))
                expected = [(frame['type'], bytes.fromhex(frame['payloadHex']))
                            for frame in vector['frames']]
                self.assertEqual(frames, expected)

    def test_environs(self):
        for vector in self.vectors['environs']:
            with self.subTest(vector['name']):
                block = bytes.fromhex(vector['blockHex'])
                strings = [s for pair in vector['pairs'] for s in pair]
                self.assertEqual(framing.encode_block(strings), block)
                self.assertEqual(framing.decode_block(block), strings)
                self.assertEqual(framing.decode_environ(block), dict(vector['pairs']))

    def test_heads(self):
        for vector in self.vectors['heads']:
            with self.subTest(vector['name']):
                block = bytes.fromhex(vector['blockHex'])
                headers = [tuple(pair) for pair in vector['headers']]
                self.assertEqual(framing.encode_head(vector['status'], headers), block)
                self.assertEqual(framing.decode_head(block), (vector['status'], headers))

    def test_invalid(self):
        for vector in self.vectors['invalid']:
            with self.subTest(vector['name']):
                with self.assertRaises(ValueError) as caught:
                    if 'wireHex' in vector:
                        framing.FrameDecoder().feed(bytes.fromhex(vector['wireHex']))
                    elif vector['error'] == 'odd number of strings':
                        framing.decode_environ(bytes.fromhex(vector['blockHex']))
                    else:
                        framing.decode_block(bytes.fromhex(vector['blockHex']))
                self.assertIn(vector['error'], str(caught.exception))

    def test_unterminated_environ(self):
        with self.assertRaisesRegex(ValueError, 'unterminated block'):
            framing.decode_environ(b'KEY\0value')


if __name__ == '__main__':
    unittest.main()
