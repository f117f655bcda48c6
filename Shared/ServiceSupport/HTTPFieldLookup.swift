import HTTPTypes

extension HTTPFields {
    /// The value of the first field named `name`, in one pass over the fields.
    ///
    /// `HTTPFields`' subscript joins every field of a name through generic lazy-sequence code, which
    /// the receiver's profile showed at several microseconds per request; for the single-valued fields
    /// read on every webhook (`Content-Length`, `User-Agent`, `traceparent`) the first one is the value.
    public func first(_ name: HTTPField.Name) -> String? {
        for field in self where field.name == name { return field.value }
        return nil
    }
}
