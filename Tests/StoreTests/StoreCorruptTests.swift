import Foundation
@testable import Ops
import Testing
import TestSupport

/// A store file changed after seedlora wrote it is refused by its seal before libhdf5 reads it;
/// one forged with a valid seal that declares a dataset far larger than itself is refused before
/// memory is allocated for the declared shape.
struct StoreCorruptTests {
    /// h5py replaces the tensor `t` of the objects file by a chunked float32 dataset of 2^30
    /// elements that was never written (0 bytes stored), keeping its seedlora attributes.
    func inflate(_ objects: String) throws {
        let environment = try PythonWithH5py.environment()
        let script = """
            import h5py, sys
            with h5py.File(sys.argv[1], "r+") as f:
                attrs = dict(f["t"].attrs)
                del f["t"]
                d = f.create_dataset("t", shape=(1 << 30,), dtype="<f4", chunks=(1 << 16,))
                for k, v in attrs.items():
                    if k != "dims": d.attrs[k] = v
            """
        let output = try runProcess("/usr/bin/env", ["python3", "-c", script, objects], environment: environment)
        try #require(output.status == 0, "h5py: \(output.stderr)")
    }

    @Test func aFileChangedAfterWritingIsRefusedByItsSeal() throws {
        let t = try TemporaryStore()
        let cell = try t.store.commit(cell: record(0), values: [("t", .tensor(try Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])))])
        let objects = t.path + "/" + cell.objectsFile
        try inflate(objects)
        let error = #expect(throws: SeedloraError.self) { try t.store.load(name: "t") }
        #expect(error?.path == objects)
        // h5py grew the file: the seal's length no longer matches.
        #expect(error?.message.contains("is damaged or was not written by seedlora: it is") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("the seal says") == true)
        // Values of other commits still load.
        try t.store.commit(cell: record(1), values: [("u", .integer(7))])
        #expect(try t.store.load(name: "u") == .integer(7))
    }

    /// One flipped bit anywhere after the seal is caught by the CRC.
    @Test func aFlippedBitIsRefused() throws {
        let t = try TemporaryStore()
        let cell = try t.store.commit(cell: record(0), values: [("x", .string("hello"))])
        let objects = t.path + "/" + cell.objectsFile
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: objects)))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: objects))
        let error = #expect(throws: SeedloraError.self) { try t.store.load(name: "x") }
        #expect(error?.path == objects)
        #expect(error?.message.contains("its CRC-32 is 0x") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("delete the store directory") == true)
    }

    @Test func aDatasetLargerThanItsFileIsRefusedBeforeAllocating() throws {
        let t = try TemporaryStore()
        let cell = try t.store.commit(cell: record(0), values: [("t", .tensor(try Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])))])
        let objects = t.path + "/" + cell.objectsFile
        try inflate(objects)
        // Forged: sealed again, as a hostile file would be.
        try HDF5Seal.seal(objects)
        let error = #expect(throws: SeedloraError.self) { try t.store.load(name: "t") }
        #expect(error?.path == objects)
        #expect(error?.message.contains("declares 1073741824 elements but the file holds only 0 bytes of them") == true,
                "\(error?.message ?? "")")
    }

    /// Objects files on which the store fuzz target crashed libhdf5 1.10.8 before the seal
    /// existed (decoding their values: a memcpy with a wild length in `H5HG_read`, a memcpy from
    /// NULL in `H5F__accum_read`). They are refused at the seal now, before libhdf5 sees them.
    @Test(arguments: ["objects-H5HG_read.h5", "objects-H5F__accum_read.h5"])
    func filesThatCrashedLibhdf5AreRefused(_ name: String) throws {
        let t = try TemporaryStore()
        let cell = try t.store.commit(cell: record(0), values: [("x", .string("hello"))])
        let objects = t.path + "/" + cell.objectsFile
        let crasher = try Data(contentsOf: URL(fileURLWithPath: Fixtures.root + "/Tests/Fixtures/store-crashes/" + name))
        try crasher.write(to: URL(fileURLWithPath: objects))
        let error = #expect(throws: SeedloraError.self) { try t.store.load(name: "x") }
        #expect(error?.path == objects)
        #expect(error?.message.contains("is damaged or was not written by seedlora: its first bytes are not seedlora's integrity seal") == true,
                "\(error?.message ?? "")")
    }
}
