/// Publishes finished files into a local directory, atomically.
///
/// A first publication is a `rename(2)` from the spool (when both directories share a file
/// system) or a copy to `.NAME.publishing` followed by `fsync` and `rename`. When a file of
/// the same name is already there, ``CompletedFile/Disposition`` decides: day files get the
/// late lines appended (copy old + new, `fsync`, `rename` over), snapshots are replaced.
/// The directory is synced after each rename, so a published name survives power loss.
public struct LocalDirectorySink: EventFileSink {
    /// The directory consumers read.
    public let directory: String
    let fileSystem: any SpoolFileSystem

    /// Publishes into `directory`, creating it when missing.
    /// - Throws: ``EventLogError`` when the directory cannot be created.
    public init(directory: String) throws(EventLogError) {
        try self.init(directory: directory, fileSystem: POSIXFileSystem())
    }

    init(directory: String, fileSystem: any SpoolFileSystem) throws(EventLogError) {
        self.directory = directory
        self.fileSystem = fileSystem
        try fileSystem.makeDirectory(directory)
    }

    /// Delivers `file` under its final name in ``directory``.
    public func publish(_ file: CompletedFile) throws(EventLogError) {
        let finalPath = directory + "/" + file.name
        let existing = try fileSystem.size(finalPath)
        if existing == nil || file.disposition == .replaceExisting {
            do {
                try fileSystem.rename(file.spoolPath, to: finalPath)
            } catch {
                // Another file system (EXDEV) or a sink-side refusal: copy, then swap in.
                try copyThenRename(parts: [(file.spoolPath, 0)], to: finalPath)
                try fileSystem.remove(file.spoolPath)
            }
        } else if case .appendToExisting(let headerByteCount) = file.disposition {
            try copyThenRename(parts: [(finalPath, 0), (file.spoolPath, headerByteCount)], to: finalPath)
            try fileSystem.remove(file.spoolPath)
        }
        try fileSystem.syncDirectory(directory)
    }

    /// Writes the concatenation of `parts` (each from its byte offset) to a temporary name in
    /// the directory, syncs it, and renames it to `finalPath`.
    private func copyThenRename(parts: [(path: String, skip: Int)], to finalPath: String) throws(EventLogError) {
        let name = String(finalPath.split(separator: "/").last ?? "")
        let temporary = directory + "/." + name + ".publishing"
        let fd = try fileSystem.createTruncating(temporary)
        do {
            for part in parts {
                var offset = part.skip
                while true {
                    let chunk = try fileSystem.read(part.path, offset: offset, count: 1 << 20)
                    if chunk.isEmpty { break }
                    var done = 0
                    while done < chunk.count {
                        let written = chunk.withUnsafeBytes { raw in
                            Result { () throws(EventLogError) -> Int in
                                try fileSystem.write(fd, UnsafeRawBufferPointer(rebasing: raw[done...]), path: temporary)
                            }
                        }
                        done += try written.get()
                    }
                    offset += chunk.count
                }
            }
            try fileSystem.sync(fd, path: temporary)
            fileSystem.close(fd)
        } catch {
            fileSystem.close(fd)
            try? fileSystem.remove(temporary)
            throw error
        }
        try fileSystem.rename(temporary, to: finalPath)
    }
}
