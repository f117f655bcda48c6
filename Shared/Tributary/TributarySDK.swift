/// The job author's SDK.
public enum TributarySDK {}
