import Testing
import Tributary

@Test func jsonRoundTrip() throws {
    let j = try JSON(parsing: #"{"a":[1,2.5,"x",true,null]}"#)
    #expect(j["a"]?.arrayValue?.count == 5)
}
