import Ops
import Testing
@testable import Notebook

/// HMAC-SHA256 (libsodium) against RFC 4231, and the wire format's handling of hostile input.
struct WireTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }

    @Test func signatureOverPartsEqualsSignatureOverTheirConcatenation() {
        let signer = Signer(key: Array("key".utf8))
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(signer.signature([Array(long[0..<10]), [], Array(long[10...])]) == signer.signature([long]))
        #expect(signer.signature([long]).count == 64)
    }

    @Test func verifyRefusesMalformedSignatures() {
        let signer = Signer(key: Array("key".utf8))
        let good = signer.signature([Array("m".utf8)])
        #expect(signer.verify(Array(good.uppercased().utf8), [Array("m".utf8)]))
        for bad in ["", String(good.dropLast()), String(good.dropLast(2)), good + "00", String(good.dropLast()) + "g"] {
            #expect(!signer.verify(Array(bad.utf8), [Array("m".utf8)]), "accepted '\(bad)'")
        }
    }

    @Test(arguments: [
        // RFC 4231 test cases 1, 2 and 6 (a key longer than the block).
        ([UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ([UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ])
    func hmacRFC4231(key: [UInt8], data: [UInt8], expected: String) {
        #expect(Signer(key: key).signature([data]) == expected)
        #expect(Signer(key: key).verify(Array(expected.utf8), [data]))
        #expect(!Signer(key: key).verify(Array(expected.dropLast().utf8) + [UInt8(ascii: "0")], [data]))
    }

    @Test func roundTripAndTampering() throws {
        let signer = Signer(key: Array("secret".utf8))
        let message = Message.make("execute_request", content: .object([("code", .string("1 + 1"))]), session: "s",
                                   identities: [[1, 2, 3]])
        var frames = message.encode(signer: signer)
        let decoded = try Message.decode(frames, signer: signer)
        #expect(decoded.type == "execute_request")
        #expect(decoded.identities == [[1, 2, 3]])
        #expect(decoded.content["code"]?.stringValue == "1 + 1")
        frames[frames.count - 1] = Array("{\"code\": \"2\"}".utf8)
        #expect(throws: WireError.self) { try Message.decode(frames, signer: signer) }
    }

    @Test(arguments: [
        [[UInt8]](),
        [Array("<IDS|MSG>".utf8)],
        [Array("<IDS|MSG>".utf8), [], Array("{".utf8), Array("{}".utf8), Array("{}".utf8), Array("{}".utf8)],
        [Array("<IDS|MSG>".utf8), [], Array("[]".utf8), Array("{}".utf8), Array("{}".utf8), Array("{}".utf8)],
        [Array("<IDS|MSG>".utf8), [], Array("{}".utf8), Array("{}".utf8), Array("{}".utf8), Array("{}".utf8)],
        [Array("<IDS|MSG>".utf8), [], [0xff, 0xfe], Array("{}".utf8), Array("{}".utf8), Array("{}".utf8)],
    ])
    func malformedMessagesAreRejected(frames: [[UInt8]]) {
        // Unsigned (empty key) so that only the structure is at fault.
        #expect(throws: WireError.self) { try Message.decode(frames, signer: Signer(key: [])) }
    }

    @Test func mimeBundleCarriesPNGSizeAndNoNaN() {
        let (data, metadata) = MimeBundle.make([.plainText("nan"), .png([1, 2, 3, 4], width: 640, height: 480)])
        #expect(data["image/png"]?.stringValue == "AQIDBA==")
        #expect(metadata["image/png"]?["width"]?.numberValue == 640)
        #expect(JSON.number(.nan).serialized() == "null")
        #expect(Base64.encode(Array("Man".utf8)) == "TWFu")
        #expect(Base64.encode(Array("Ma".utf8)) == "TWE=")
    }

    @Test func kernelspecPointsAtTheBinary() throws {
        let json = try JSON.parse(Kernelspec.kernelJSON(executable: "/opt/bin/seedlora"))
        #expect(json["argv"]?.arrayValue?.first?.stringValue == "/opt/bin/seedlora")
        #expect(json["language"]?.stringValue == "seed")
        #expect(json["metadata"]?["file_extension"]?.stringValue == ".seed")
        #expect(Kernelspec.directory(user: false, prefix: "/tmp/p", environment: [:]) == "/tmp/p/share/jupyter/kernels/seedlora")
    }
}
