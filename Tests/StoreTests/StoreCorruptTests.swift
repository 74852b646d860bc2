import Foundation
import Ops
import Testing
import TestSupport

/// A corrupt (or hostile) objects file can declare a dataset far larger than itself; the reader
/// refuses it before allocating memory for the declared shape.
struct StoreCorruptTests {
    @Test func aDatasetLargerThanItsFileIsRefusedBeforeAllocating() throws {
        let environment = try PythonWithH5py.environment()
        let t = try TemporaryStore()
        let cell = try t.store.commit(cell: record(0), values: [("t", .tensor(try Tensor(shape: [2, 3], data: [1, 2, 3, 4, 5, 6])))])
        // h5py replaces the tensor by a chunked float32 dataset of 2^30 elements that was never
        // written (0 bytes stored), keeping its seedlora attributes.
        let objects = t.path + "/" + cell.objectsFile
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
        let error = #expect(throws: SeedloraError.self) { try t.store.load(name: "t") }
        #expect(error?.path == objects)
        #expect(error?.message.contains("declares 1073741824 elements but the file holds only 0 bytes of them") == true,
                "\(error?.message ?? "")")
    }
}
